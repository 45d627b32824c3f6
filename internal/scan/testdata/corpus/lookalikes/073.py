password = getpass.getpass()
secret_key = os.environ["SECRET_KEY"]
api_token = settings.API_TOKEN
