from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "koalr.accounts"
    label = "accounts"
    verbose_name = "Accounts and organizations"
