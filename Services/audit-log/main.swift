import AuditLogService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await AuditLog.build().main()
