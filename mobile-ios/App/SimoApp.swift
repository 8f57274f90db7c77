// The iOS app: the SwiftUI shell over the shared Rust core. Add this file to an Xcode app
// target that depends on the SimoUI product of ../Package.swift, with the App Group
// `group.ru.simo.app`, Push Notifications, Background Modes → Remote notifications, and
// `SimoServerURL` in its Info.plist, and Resources/ (the words the system puts in a push's
// alert, `title-loc-key`) in its bundle; NotificationService/ is its extension.
import os
import SimoCore
import SimoUI
import SwiftUI
import UIKit
import UserNotifications

@main
struct SimoApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate

    var body: some Scene {
        WindowGroup { RootView(model: delegate.model) }
    }
}

/// Push registration and remote notifications, which SwiftUI leaves to an app delegate.
@MainActor
final class AppDelegate: NSObject, UIApplicationDelegate, UNUserNotificationCenterDelegate {
    // The cache lives in the App Group container; opening it can only fail if the disk is full.
    let model = try! SimoModel(serverUrl: SimoPaths.serverURL())
    private let log = Logger(subsystem: "ru.simo.app", category: "push")

    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        let center = UNUserNotificationCenter.current()
        center.delegate = self
        // A message to acknowledge comes in this category: its notification has the button.
        let acknowledge = UNNotificationAction(
            identifier: SimoPush.ackAction, title: SimoPush.ackActionTitle, options: [.authenticationRequired])
        center.setNotificationCategories([
            UNNotificationCategory(identifier: SimoPush.ackCategory, actions: [acknowledge], intentIdentifiers: []),
        ])
        // Alerts need the user's consent; the device token does not, and a recall push is
        // silent, so the app registers whatever the answer.
        center.requestAuthorization(options: [.alert, .sound, .badge]) { _, error in
            if let error { self.log.error("notifications not allowed: \(error.localizedDescription)") }
        }
        application.registerForRemoteNotifications()
        return true
    }

    /// The core remembers the token and sends it now, at the next sync, or after the login.
    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        Task { await model.registerPushToken(deviceToken) }
    }

    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        log.error("no push token: \(error.localizedDescription)")
    }

    /// A background push (a recall) or a message push that woke the app.
    func application(
        _ application: UIApplication,
        didReceiveRemoteNotification userInfo: [AnyHashable: Any]
    ) async -> UIBackgroundFetchResult {
        await model.handleRemoteNotification(userInfo)
        return .newData
    }

    /// In the foreground the list is brought up to date and the banner shows all the same.
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        willPresent notification: UNNotification
    ) async -> UNNotificationPresentationOptions {
        await model.handleRemoteNotification(notification.request.content.userInfo)
        return [.banner, .list, .sound]
    }

    /// A tapped notification opens its message, which marks it read; its "Ознакомлен(а)"
    /// action acknowledges the message without opening the app.
    func userNotificationCenter(_ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse) async {
        let userInfo = response.notification.request.content.userInfo
        if response.actionIdentifier == SimoPush.ackAction {
            await model.acknowledgeNotification(userInfo)
        } else {
            await model.openNotification(userInfo)
        }
    }
}
