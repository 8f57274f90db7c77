// The acknowledge action of a notification: acknowledges the message without opening the app.
package ru.simo.app

import android.app.NotificationManager
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.util.Log
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import ru.simo.core.ApiException

class AckReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val id = intent.getLongExtra(EXTRA_MESSAGE_ID, 0L)
        if (id <= 0L) return
        val client = (context.applicationContext as SimoApplication).client
        // Offline, the core queues the report for the next sync; the broadcast stays alive
        // until the report is queued or sent.
        val pending = goAsync()
        CoroutineScope(Dispatchers.IO).launch {
            try {
                client.acknowledge(id)
                context.getSystemService(NotificationManager::class.java).cancel(id.toInt())
            } catch (e: ApiException) {
                Log.w("AckReceiver", "message $id not acknowledged", e)
            } finally {
                pending.finish()
            }
        }
    }

    companion object {
        const val EXTRA_MESSAGE_ID = "ru.simo.app.ACK_MESSAGE_ID"
    }
}
