import OutputProcessorService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await OutputProcessor.build().main()
