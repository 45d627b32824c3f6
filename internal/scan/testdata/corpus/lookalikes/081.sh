git clone git@github.com:org/repo.git
curl -u "$USER:$TOKEN" https://api.github.com/user
