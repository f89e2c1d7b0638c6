"""CONSENT: subscribing, confirming, tracking and unsubscribing."""
