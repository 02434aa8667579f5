DROP TABLE webhook_deliveries;
DROP TABLE township_webhooks;
