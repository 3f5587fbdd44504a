import GyreConfig
import GyreModel
import Testing

@Suite("Built-in step kinds and conditional steps")
struct StepKindTests {
    func steps(_ list: String) -> [StepPlan] {
        singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
            \(list)
            """))?.steps ?? []
    }

    @Test func everyStepKindCompiles() {
        let compiled = steps("""
                  - checkout: {name: Get code}
                  - save_cache: {key: "v1-{{ checksum \\"f\\" }}", paths: [~/.npm], when: always, name: Save}
                  - restore_cache: {key: v1}
                  - restore_cache: {keys: [a, b]}
                  - persist_to_workspace: {root: ., paths: [out]}
                  - attach_workspace: {at: /tmp/ws}
                  - store_artifacts: {path: out, destination: build}
                  - store_test_results: {path: reports}
                  - add_ssh_keys: {fingerprints: ["aa:bb"]}
                  - add_ssh_keys
                  - setup_remote_docker: {version: "20.10", docker_layer_caching: true}
                  - setup_remote_docker
                  - deploy: ./deploy.sh
            """)
        #expect(compiled == [
            .checkout(CheckoutStep(name: "Get code")),
            .saveCache(SaveCacheStep(name: "Save", key: "v1-{{ checksum \"f\" }}", paths: ["~/.npm"], when: .always)),
            .restoreCache(RestoreCacheStep(keys: ["v1"])),
            .restoreCache(RestoreCacheStep(keys: ["a", "b"])),
            .persistToWorkspace(PersistToWorkspaceStep(root: ".", paths: ["out"])),
            .attachWorkspace(AttachWorkspaceStep(at: "/tmp/ws")),
            .storeArtifacts(StoreArtifactsStep(path: "out", destination: "build")),
            .storeTestResults(StoreTestResultsStep(path: "reports")),
            .addSSHKeys(AddSSHKeysStep(fingerprints: ["aa:bb"])),
            .addSSHKeys(AddSSHKeysStep()),
            .setupRemoteDocker(SetupRemoteDockerStep(version: "20.10", dockerLayerCaching: true)),
            .setupRemoteDocker(SetupRemoteDockerStep()),
            .run(RunStep(name: "./deploy.sh", command: "./deploy.sh", firstNodeOnly: true)),
        ])
    }

    @Test(arguments: [
        ("save_cache: {paths: [x]}", "jobs.build.steps[0].save_cache.key"),
        ("save_cache: {key: k}", "jobs.build.steps[0].save_cache.paths"),
        ("restore_cache: {name: r}", "jobs.build.steps[0].restore_cache.keys"),
        ("persist_to_workspace: {paths: [x]}", "jobs.build.steps[0].persist_to_workspace.root"),
        ("attach_workspace: {}", "jobs.build.steps[0].attach_workspace.at"),
        ("store_artifacts: {destination: d}", "jobs.build.steps[0].store_artifacts.path"),
        ("store_test_results: {}", "jobs.build.steps[0].store_test_results.path"),
        ("store_artifacts", "jobs.build.steps[0]"),
    ])
    func missingRequiredKeysNameThePath(step: String, path: String) {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - \(step)
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.path == path, "\(errors.summary)")
        #expect(errors.first?.code == .invalid)
    }

    @Test func whenAndUnlessStepsWithLogic() {
        let compiled = steps("""
                  - when: {condition: true, steps: [{run: a}]}
                  - unless: {condition: true, steps: [{run: never}]}
                  - when: {condition: {not: true}, steps: [{run: never}]}
                  - unless: {condition: {not: true}, steps: [{run: b}]}
                  - when:
                      condition: {and: [1, "x", {or: [0, [], true]}]}
                      steps: [{run: c}]
                  - when:
                      condition: {or: [false, null, "", 0, []]}
                      steps: [{run: never}]
                  - when:
                      condition: {equal: [main, << pipeline.git.branch >>]}
                      steps: [{run: never}]
                  - when:
                      condition: {equal: [true, "true", 1.0, 1]}
                      steps: [{run: never}]
                  - when:
                      condition: {equal: [2, 2.0]}
                      steps: [{run: d}]
                  - when:
                      condition: {matches: {pattern: "^v[0-9]+$", value: v12}}
                      steps: [{run: e}]
            """)
        #expect(compiled.map(\.displayName) == ["a", "b", "c", "d", "e"])
    }

    @Test func badLogicIsReported() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - when: {condition: {xor: [1]}, steps: [{run: a}]}
                  - when: {condition: {matches: {pattern: "(", value: x}}, steps: [{run: a}]}
                  - when: {steps: [{run: a}]}
                  - run: fine
            """)
        #expect(Set(errors.map(\.path)) == [
            "jobs.build.steps[0].when.condition.xor", "jobs.build.steps[1].when.condition.matches.pattern",
            "jobs.build.steps[2].when.condition",
        ], "\(errors.summary)")
    }
}
