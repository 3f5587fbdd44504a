import DomainService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await Domain.build().run()
