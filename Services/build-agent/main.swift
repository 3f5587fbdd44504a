import BuildAgentService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await BuildAgent.build().run()
