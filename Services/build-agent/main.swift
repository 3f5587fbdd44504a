import BuildAgentService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await BuildAgent.build().main()
