// One SimoClient per process, shared by the UI and the push service.
package ru.simo.app

import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.res.Configuration
import android.util.Log
import com.google.firebase.messaging.FirebaseMessaging
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import ru.simo.core.ApiException
import ru.simo.core.SimoClient
import ru.simo.core.setLanguage

class SimoApplication : Application() {
    lateinit var client: SimoClient
        private set

    /** Work that outlives any screen: the push token's registration. */
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    override fun onCreate() {
        super.onCreate()
        // The core's messages and the server's come in the phone's language (Russian unless English).
        setLanguage(resources.configuration.locales[0].toLanguageTag())
        // noBackupFilesDir: the session token must not travel in cloud backups.
        client = SimoClient(BuildConfig.SIMO_SERVER_URL, noBackupFilesDir.resolve("simo").path)
        val channel = NotificationChannel(CHANNEL, getString(R.string.channel_messages), NotificationManager.IMPORTANCE_HIGH)
        getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
        // onNewToken comes only when FCM makes a token; asking at each start also covers a
        // token made while the app could not store it. The core sends it only if it is new.
        FirebaseMessaging.getInstance().token.addOnSuccessListener { token ->
            scope.launch {
                try {
                    client.registerPushToken(token)
                } catch (e: ApiException) {
                    // Only an expired session fails here; the login screen follows at the next call.
                    Log.w("SimoApplication", "push token not registered", e)
                }
            }
        }
    }

    override fun onConfigurationChanged(newConfig: Configuration) {
        super.onConfigurationChanged(newConfig)
        setLanguage(newConfig.locales[0].toLanguageTag())
    }

    companion object {
        const val CHANNEL = "messages"
    }
}
