import ReadyAgentService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await ReadyAgent.build().main()
