extends SceneTree
func walk(n, out):
    if n is MeshInstance:
        var tris = 0
        var mesh = n.mesh
        var mats = []
        for s in range(mesh.get_surface_count()):
            var arr = mesh.surface_get_arrays(s)
            var idx = arr[Mesh.ARRAY_INDEX]
            tris += (idx.size() if idx != null else arr[Mesh.ARRAY_VERTEX].size()) / 3
            var m = mesh.surface_get_material(s)
            if n.get_surface_material(s) != null:
                m = n.get_surface_material(s)
            var tex = ""
            if m != null and m is SpatialMaterial and m.albedo_texture != null:
                tex = m.albedo_texture.resource_path
            mats.append({"material": m.resource_path if m != null else "", "name": m.resource_name if m != null else "", "albedo": tex,
              "normal": (m.normal_texture.resource_path if m != null and m is SpatialMaterial and m.normal_texture != null else "")})
        out.append({"name": n.name, "visible": n.is_visible_in_tree(), "triangles": tris, "surfaces": mats})
    elif n is StaticBody:
        out.append({"name": n.name, "class": n.get_class()})
    elif n is CollisionShape:
        var shape = n.shape
        var points = shape.points.size() if shape is ConvexPolygonShape else -1
        out.append({"name": n.name, "class": n.get_class(), "shape": shape.get_class() if shape != null else "", "points": points})
    for c in n.get_children():
        walk(c, out)
func _init():
    var reports = {}
    for path in OS.get_cmdline_args():
        if path.ends_with(".glb") or path.ends_with(".gltf") or path.ends_with(".fbx") or path.ends_with(".escn"):
            var scene = load(path)
            var out = []
            if scene == null:
                reports[path] = null
            else:
                walk(scene.instance(), out)
                reports[path] = out
    print("SWEEDLE-GODOT" + to_json(reports))
    quit()
