// Runs on a Mac with the xcframework built: invalid input is refused before any network call.
import XCTest
@testable import SimoCore

final class SimoCoreTests: XCTestCase {
    func testAnInvalidInnIsRefusedAsInvalidInput() async throws {
        let dir = NSTemporaryDirectory() + UUID().uuidString
        let client = try SimoClient(serverUrl: "http://127.0.0.1:1", dataDir: dir)
        do {
            _ = try await client.requestCode(inn: "7707083894", phone: "+79990001122", name: "Иванов", device: .apple)
            XCTFail("expected ApiError.InvalidInput")
        } catch let error as ApiError {
            guard case .InvalidInput = error else { return XCTFail("got \(error)") }
        }
    }

    func testAFreshCacheIsEmptyAndLoggedOut() throws {
        let client = try SimoClient(serverUrl: "http://127.0.0.1:1", dataDir: NSTemporaryDirectory() + UUID().uuidString)
        XCTAssertNil(try client.profile())
        XCTAssertEqual(try client.unreadCount(), 0)
        XCTAssertTrue(try client.messages(limit: 50, before: nil).isEmpty)
    }
}
