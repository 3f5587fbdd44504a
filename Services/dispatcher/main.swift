import DispatcherService

// Configuration comes from the environment (see README.md); `/status` reports problems.
await Dispatcher.build().main()
