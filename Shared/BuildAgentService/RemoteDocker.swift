/// `setup_remote_docker`: the vm-service's remote Docker engines are not there yet.
enum RemoteDocker {
    static let unavailable = """
        setup_remote_docker is not supported by this Gyre installation yet: remote Docker engines (the vm-service) \
        arrive in a later release. Build images on a self-hosted machine runner (machine: true, resource_class: \
        <namespace>/<name>) whose host has Docker, or remove the step.

        """
}
