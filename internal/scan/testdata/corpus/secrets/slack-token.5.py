client = WebClient(token="xoxb-044971639425-7775688081898-rPAqeBRpCoAdAduRY4OAvkar")
