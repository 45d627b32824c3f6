DEBUG = False
SECRET_KEY = "yAY1+^C^1q9ssn#P%%cL3cwgzb#4Nqbim7dKqpxnd^P7Ie2xV)"
