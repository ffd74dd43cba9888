print("uploader")
