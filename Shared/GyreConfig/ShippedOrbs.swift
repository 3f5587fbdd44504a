/// Orbs shipped with the server: any version reference resolves to these
/// unless an imported version matches it (an operator's import wins).
///
/// They keep the documented parameters of CircleCI's `circleci/continuation`
/// and `circleci/path-filtering` (the union of their 0.x and 1.x releases),
/// and need no network: their steps call the in-job `circleci-agent`, which
/// reaches this server through the build agent (a unix socket in the job's
/// agent directory), and need nothing in the image but a shell and git.
public enum ShippedOrbs {
    /// The image of the shipped orbs' `default` executors (built by deploy/images).
    public static let image = "gyre/base:bookworm"

    public static let all: [String: String] = [
        "circleci/continuation": continuation,
        "circleci/path-filtering": pathFiltering,
    ]

    static let continuation = """
        version: 2.1
        description: >
          Continue a pipeline from its setup workflow with a configuration and pipeline parameters
          (dynamic configuration). Shipped with Gyre; works from jobs without network.
        executors:
          default:
            parameters:
              resource_class:
                type: string
                default: small
            docker:
              - image: \(image)
            resource_class: << parameters.resource_class >>
        commands:
          continue:
            description: Continue the pipeline with the configuration at configuration_path.
            parameters:
              configuration_path:
                type: string
                description: The configuration that continues the pipeline.
              parameters:
                type: string
                default: "{}"
                description: Pipeline parameters, a JSON object or the path of a file holding one.
              circleci_domain:
                type: string
                default: circleci.com
                description: Not used on Gyre (the job reaches this server through its build agent).
              circleci_ip_ranges:
                type: boolean
                default: false
                description: Not used on Gyre.
              when:
                type: enum
                enum: [on_success, on_fail, always]
                default: on_success
            steps:
              - run:
                  name: Continue Pipeline
                  when: << parameters.when >>
                  environment:
                    GYRE_CONTINUE_CONFIG: << parameters.configuration_path >>
                    GYRE_CONTINUE_PARAMETERS: << parameters.parameters >>
                  command: circleci-agent continue
        jobs:
          continue:
            description: Check out the code and continue the pipeline with configuration_path.
            executor:
              name: default
              resource_class: << parameters.resource_class >>
            parameters:
              configuration_path:
                type: string
                description: The configuration that continues the pipeline.
              parameters:
                type: string
                default: "{}"
                description: Pipeline parameters, a JSON object or the path of a file holding one.
              circleci_domain:
                type: string
                default: circleci.com
              circleci_ip_ranges:
                type: boolean
                default: false
              checkout:
                type: boolean
                default: true
              workspace_path:
                type: string
                default: ""
              resource_class:
                type: string
                default: small
            steps:
              - when:
                  condition: << parameters.checkout >>
                  steps: [checkout]
              - when:
                  condition:
                    not:
                      equal: ["", << parameters.workspace_path >>]
                  steps:
                    - attach_workspace:
                        at: << parameters.workspace_path >>
              - continue:
                  configuration_path: << parameters.configuration_path >>
                  parameters: << parameters.parameters >>
        """

    static let pathFiltering = """
        version: 2.1
        description: >
          Continue a pipeline with parameters set from the paths changed since a base revision
          (monorepos). Shipped with Gyre; works from jobs without network.
        orbs:
          continuation: circleci/continuation@1
        executors:
          default:
            parameters:
              tag:
                type: string
                default: "3.8"
                description: Not used on Gyre (the shipped executor needs only a shell and git).
              resource_class:
                type: string
                default: small
            docker:
              - image: \(image)
            resource_class: << parameters.resource_class >>
        commands:
          set-parameters:
            description: >
              Write the pipeline parameters of every mapping line whose path regex matches a file
              changed between the merge base with base-revision and this commit.
            parameters:
              base-revision:
                type: string
                default: main
              mapping:
                type: string
                default: ""
                description: >
                  One mapping per line, whitespace-delimited: path-regex parameter value (a JSON literal);
                  or the path of a file holding such lines.
              output-path:
                type: string
                default: /tmp/pipeline-parameters.json
              config-path:
                type: string
                default: .circleci/continue_config.yml
            steps:
              - run:
                  name: Set parameters
                  environment:
                    BASE_REVISION: << parameters.base-revision >>
                    MAPPING: << parameters.mapping >>
                    OUTPUT_PATH: << parameters.output-path >>
                    CONFIG_PATH: << parameters.config-path >>
                  command: circleci-agent path-filter
        jobs:
          filter:
            description: >
              Continue the pipeline with config-path and the parameters that the changed paths set.
            executor:
              name: default
              tag: << parameters.tag >>
              resource_class: << parameters.resource_class >>
            parameters:
              base-revision:
                type: string
                default: main
              mapping:
                type: string
                default: ""
              config-path:
                type: string
                default: .circleci/continue_config.yml
              output-path:
                type: string
                default: /tmp/pipeline-parameters.json
              circleci_domain:
                type: string
                default: circleci.com
              circleci_ip_ranges:
                type: boolean
                default: false
              workspace_path:
                type: string
                default: ""
              resource_class:
                type: string
                default: small
              tag:
                type: string
                default: "3.8"
              checkout:
                type: boolean
                default: true
            steps:
              - when:
                  condition:
                    not:
                      equal: ["", << parameters.workspace_path >>]
                  steps:
                    - attach_workspace:
                        at: << parameters.workspace_path >>
              - when:
                  condition: << parameters.checkout >>
                  steps: [checkout]
              - set-parameters:
                  base-revision: << parameters.base-revision >>
                  mapping: << parameters.mapping >>
                  output-path: << parameters.output-path >>
                  config-path: << parameters.config-path >>
              - run:
                  name: Continue Pipeline
                  environment:
                    GYRE_CONTINUE_CONFIG: << parameters.config-path >>
                    GYRE_CONTINUE_PARAMETERS: << parameters.output-path >>
                    GYRE_CONTINUE_CONFIG_LIST: "true"
                  command: circleci-agent continue
        """
}
