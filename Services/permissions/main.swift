import PermissionsService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await Permissions.build().main()
