import OutputProcessorService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await OutputProcessor.build().run()
