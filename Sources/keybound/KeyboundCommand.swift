@main struct KeyboundCommand { static func main() { print("hi") } }
