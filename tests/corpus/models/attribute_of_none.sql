select {{ none.x.y }}
