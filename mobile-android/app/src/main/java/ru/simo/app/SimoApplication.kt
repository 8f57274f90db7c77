// One SimoClient per process, shared by the UI and the push service.
package ru.simo.app

import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import ru.simo.core.SimoClient

class SimoApplication : Application() {
    lateinit var client: SimoClient
        private set

    override fun onCreate() {
        super.onCreate()
        // noBackupFilesDir: the session token must not travel in cloud backups.
        client = SimoClient(BuildConfig.SIMO_SERVER_URL, noBackupFilesDir.resolve("simo").path)
        val channel = NotificationChannel(CHANNEL, getString(R.string.channel_messages), NotificationManager.IMPORTANCE_HIGH)
        getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
    }

    companion object {
        const val CHANNEL = "messages"
    }
}
