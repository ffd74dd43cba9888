print("spooler")
