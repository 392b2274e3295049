from tests.fakes.stripe_fixtures import billing_settings, stripe_fake, stripe_sdk, stripe_server

__all__ = ["billing_settings", "stripe_fake", "stripe_sdk", "stripe_server"]
