// One SimoClient per process, shared by the UI and the push service.
package ru.simo.app

import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.res.Configuration
import ru.simo.core.SimoClient
import ru.simo.core.setLanguage

class SimoApplication : Application() {
    lateinit var client: SimoClient
        private set

    override fun onCreate() {
        super.onCreate()
        // The core's messages and the server's come in the phone's language (Russian unless English).
        setLanguage(resources.configuration.locales[0].toLanguageTag())
        // noBackupFilesDir: the session token must not travel in cloud backups.
        client = SimoClient(BuildConfig.SIMO_SERVER_URL, noBackupFilesDir.resolve("simo").path)
        val channel = NotificationChannel(CHANNEL, getString(R.string.channel_messages), NotificationManager.IMPORTANCE_HIGH)
        getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
    }

    override fun onConfigurationChanged(newConfig: Configuration) {
        super.onConfigurationChanged(newConfig)
        setLanguage(newConfig.locales[0].toLanguageTag())
    }

    companion object {
        const val CHANNEL = "messages"
    }
}
