"""Shops (Shopify, WooCommerce) feeding the customer store: webhooks as orders happen, and a backfill of the history."""
