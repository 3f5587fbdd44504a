import ContextsService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await Contexts.build().run()
