// The Notification Service Extension: iOS runs it for every message push (the server sets
// `mutable-content`), even when the app is not running, so the message is stored in the shared
// cache and can be read offline before the app ever opens. Add this file to a Notification
// Service Extension target that depends on the SimoCore product and shares the App Group
// `group.ru.simo.app` (and `SimoServerURL`) with the app.
import os
import SimoCore
import UserNotifications

final class NotificationService: UNNotificationServiceExtension {
    private let log = Logger(subsystem: "ru.simo.app", category: "push-extension")

    override func didReceive(
        _ request: UNNotificationRequest,
        withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void
    ) {
        let content = (request.content.mutableCopy() as? UNMutableNotificationContent) ?? UNMutableNotificationContent()
        // Whatever happens below, the notification is shown as the server sent it.
        defer { contentHandler(content) }
        guard let payload = SimoPush.payload(userInfo: request.content.userInfo) else {
            log.error("a push that is not JSON")
            return
        }
        do {
            let client = try SimoClient(serverUrl: SimoPaths.serverURL(), dataDir: SimoPaths.dataDirectory())
            let shown = try client.handlePush(payload: payload)
            content.badge = NSNumber(value: shown.unreadCount)
            if shown.reminder {
                content.title = SimoPush.reminderTitle(shown.title)
            }
        } catch {
            // Logged out, or a full disk: the app's next sync brings the message.
            log.error("push not stored: \(error.localizedDescription)")
        }
    }
}
