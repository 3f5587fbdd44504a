import DomainService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await Domain.build().main()
