// The iOS app: the SwiftUI shell over the shared Rust core. Add this file to an Xcode app
// target that depends on the SimoUI product of ../Package.swift.
import SwiftUI
import SimoUI

@main
struct SimoApp: App {
    @StateObject private var model: SimoModel

    init() {
        let url = Bundle.main.object(forInfoDictionaryKey: "SimoServerURL") as? String ?? "https://simo.example.ru"
        // The cache lives in the App Group container; opening it can only fail if the disk is full.
        _model = StateObject(wrappedValue: try! SimoModel(serverUrl: url))
    }

    var body: some Scene {
        WindowGroup { RootView(model: model) }
    }
}
