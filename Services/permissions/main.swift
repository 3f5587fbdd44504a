import PermissionsService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await Permissions.build().run()
