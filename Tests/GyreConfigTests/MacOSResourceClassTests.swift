import GyreConfig
import GyreModel
import Testing

/// The macOS classes of the 2.1 schema (`m4pro.*`) and of the 2021 reference (`medium`,
/// `large`, the Intel classes of Xcode 14 and older), besides `macos.*`.
@Suite("macOS resource classes")
struct MacOSResourceClassTests {
    @Test(arguments: [
        ("16.4.0", "m4pro.medium", "macos.m4pro.medium"),
        ("16.4.0", "m4pro.large", "macos.m4pro.large"),
        ("15.4.0", "macos.m1.medium.gen1", "macos.m1.medium.gen1"),
        // The 2021 reference's Intel classes, with the Xcode of their time.
        ("11.3.0", "large", "macos.large"),
        ("12.0.0", "medium", "macos.medium"),
        ("14.3.1", "large", "macos.large"),
    ])
    func macOSClassesOfTheSchemaAndTheReferenceAreAccepted(xcode: String, resourceClass: String, planned: String) throws {
        let yaml = """
            version: 2.1
            jobs:
              build:
                macos: {xcode: "\(xcode)"}
                resource_class: \(resourceClass)
                steps: [checkout]
            """
        #expect(validationErrors(yaml).isEmpty, "\(validationErrors(yaml).summary)")
        let job = try #require(singleJob(compilePlan(yaml)))
        // Always a macOS class, never the Linux machine class `medium` or `large`.
        #expect(job.executor == .machine(resourceClass: planned))
        #expect(job.resourceClass == planned)
        #expect(job.requiredCapability != "machine:\(resourceClass)" || resourceClass.hasPrefix("macos."))
    }

    @Test(arguments: [
        ("16.4.0", "m2pro.medium"), ("16.4.0", "m2pro.large"), ("12.0.0", "medium+"), ("16.4.0", "xlarge"),
        ("16.4.0", "macos-m1-medium-gen1"), ("16.4.0", "windows.medium"), ("15.4.0", "medium"), ("16.4.0", "large"),
    ])
    func otherMacOSClassesAreRefusedListingTheAcceptedOnes(xcode: String, resourceClass: String) {
        let yaml = """
            version: 2.1
            executors:
              mac:
                macos: {xcode: "\(xcode)"}
                resource_class: \(resourceClass)
            jobs:
              build: {macos: {xcode: "\(xcode)"}, resource_class: \(resourceClass), steps: [checkout]}
            """
        for errors in [compileErrors(yaml), validationErrors(yaml)] {
            for path in ["jobs.build.resource_class", "executors.mac.resource_class"] {
                let error = errors.first(at: path)
                #expect(error?.message.contains("is not a macOS resource class") == true, "\(errors.summary)")
                #expect(error?.message.contains("m4pro.medium, m4pro.large") == true, "\(errors.summary)")
                #expect(error?.message.contains("macos.*") == true, "\(errors.summary)")
            }
        }
    }
}
