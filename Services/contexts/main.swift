import ContextsService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await Contexts.build().main()
