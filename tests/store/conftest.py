from tests.store.backends import _drop_templates, cheap_password_hashing, people, store, store_url  # noqa: F401
