import GyreConfig
import GyreModel
import Testing

@Suite("YAML anchors and merge keys")
struct AnchorTests {
    @Test func redefinedAnchorsAreAcceptedAndTheLaterDefinitionWins() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            references:
              image: &image {image: "alpine:1"}
              later: &image {image: "alpine:2"}
              env: &env {A: "1", B: "1"}
            jobs:
              build:
                docker: [*image]
                environment:
                  <<: *env
                  B: "2"
                steps: [checkout]
            """))
        let job = try #require(singleJob(plan))
        #expect(job.executor == .docker(images: [DockerImagePlan(image: "alpine:2")]))
        #expect(job.environment == [EnvVar("A", "1"), EnvVar("B", "2")])
    }

    @Test func anchorsBeforeARedefinitionKeepTheirValue() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            a: &img {image: first}
            jobs:
              build:
                docker: [*img]
                steps: [checkout]
            b: &img {image: second}
            """)))
        #expect(job.executor == .docker(images: [DockerImagePlan(image: "first")]))
    }
}
