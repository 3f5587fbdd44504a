import FrontendService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await Frontend.build().run()
