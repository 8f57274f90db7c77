// FCM entry point: the core stores what the push carries and says what to show.
package ru.simo.app

import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Intent
import androidx.core.app.NotificationCompat
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import ru.simo.core.ApiException
import ru.simo.core.PushNotification

class PushService : FirebaseMessagingService() {
    private val client get() = (application as SimoApplication).client

    override fun onNewToken(token: String) {
        // Remembered by the core and sent now, or with the next sync, or after the next login.
        runCatching { runBlocking { client.registerPushToken(token) } }
    }

    override fun onMessageReceived(remote: RemoteMessage) {
        val payload = JSONObject(remote.data as Map<*, *>).toString()
        val shown = try {
            client.handlePush(payload)
        } catch (e: ApiException) {
            return
        }
        if (shown.recalled) {
            getSystemService(NotificationManager::class.java).cancel(shown.messageId.toInt())
        } else if (shown.isNew || shown.reminder) {
            // A reminder is about a message the phone has: shown again, in its place.
            show(shown)
        }
        // Each push is a cue to sync: it brings what FCM dropped and deletes what the
        // organisation recalled, whose notifications are withdrawn here.
        val report = runCatching { runBlocking { client.sync() } }.getOrNull() ?: return
        val notifications = getSystemService(NotificationManager::class.java)
        report.recalled.forEach { notifications.cancel(it.toInt()) }
    }

    private fun show(shown: PushNotification) {
        // A tap opens the app on this message; the request code keeps each message's intent apart.
        val open = Intent(this, MainActivity::class.java)
            .putExtra(MainActivity.EXTRA_MESSAGE_ID, shown.messageId)
            .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TOP)
        val tap = PendingIntent.getActivity(
            this, shown.messageId.toInt(), open,
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )
        val builder = NotificationCompat.Builder(this, SimoApplication.CHANNEL)
            .setSmallIcon(android.R.drawable.ic_dialog_email)
            .setContentTitle(if (shown.reminder) getString(R.string.reminder_title, shown.title) else shown.title)
            .setContentText(shown.text)
            .setNumber(shown.unreadCount.toInt())
            .setStyle(NotificationCompat.BigTextStyle().bigText(shown.text))
            .setContentIntent(tap)
            .setAutoCancel(true)
        if (shown.ackRequired) {
            // The employee can acknowledge from the notification; AckReceiver reports it.
            val ack = Intent(this, AckReceiver::class.java).putExtra(AckReceiver.EXTRA_MESSAGE_ID, shown.messageId)
            val press = PendingIntent.getBroadcast(
                this, shown.messageId.toInt(), ack,
                PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
            )
            builder.addAction(0, getString(R.string.acknowledge), press)
        }
        getSystemService(NotificationManager::class.java).notify(shown.messageId.toInt(), builder.build())
    }
}
