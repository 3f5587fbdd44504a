import VMService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await VMs.build().main()
