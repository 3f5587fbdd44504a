import VMService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await VMs.build().run()
