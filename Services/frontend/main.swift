import FrontendService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await Frontend.build().main()
