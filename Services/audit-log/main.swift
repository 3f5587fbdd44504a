import AuditLogService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await AuditLog.build().run()
