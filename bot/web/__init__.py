"""HTTP views: the webhook, health check and the local simulator."""
