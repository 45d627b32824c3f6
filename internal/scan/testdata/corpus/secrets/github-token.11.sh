git clone https://x-access-token:ghs_fskH53aMTLQYo1BC52B55Uq35i7jw4MiYuvc@github.com/o/r.git
