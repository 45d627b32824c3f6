DEBUG = False
SECRET_KEY = "Ws#Rg&71kzTS3B)t6vRKhCa5jQi#W@(%Z@PwG*=ccwY%0V7PTO"
