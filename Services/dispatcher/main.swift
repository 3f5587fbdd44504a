import DispatcherService

// Configuration comes from the environment (see README.md); `/status` reports problems.
try await Dispatcher.build().run()
