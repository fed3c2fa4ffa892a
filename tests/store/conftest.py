from tests.store.backends import cheap_password_hashing, people, store, store_url  # noqa: F401 - fixtures
