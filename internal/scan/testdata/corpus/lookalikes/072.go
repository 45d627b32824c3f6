package auth

const tokenHeader = "X-Auth-Token"

func f(r *http.Request) {
	token := r.Header.Get("Authorization")
	password := os.Getenv("DB_PASSWORD")
	if token == password {
	}
}
