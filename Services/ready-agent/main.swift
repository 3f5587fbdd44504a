import ReadyAgentService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await ReadyAgent.build().run()
