// A stub of the few UnityEngine types Sweedle's editor script uses, with Unity's signatures, so
// the script can be compiled outside Unity (tests/core/test_unity_script.py). No behaviour.
namespace UnityEngine
{
    public class Object
    {
        public string name { get; set; }
        public static void DestroyImmediate(Object obj) { }
    }

    public class Component : Object
    {
        public GameObject gameObject { get { return null; } }
        public T GetComponent<T>() where T : Component { return null; }
        public T[] GetComponentsInChildren<T>(bool includeInactive) where T : Component { return null; }
    }

    public class GameObject : Object
    {
        public T AddComponent<T>() where T : Component { return null; }
        public T GetComponent<T>() where T : Component { return null; }
        public T[] GetComponentsInChildren<T>(bool includeInactive) where T : Component { return null; }
    }

    public class Mesh : Object { }

    public class Texture : Object { }

    public class Texture2D : Texture { }

    public class Material : Object
    {
        public bool HasProperty(string name) { return false; }
        public void SetTexture(string name, Texture value) { }
    }

    public class Renderer : Component { }

    public class MeshRenderer : Renderer { }

    public class MeshFilter : Component
    {
        public Mesh sharedMesh { get; set; }
    }

    public class Collider : Component { }

    public class MeshCollider : Collider
    {
        public Mesh sharedMesh { get; set; }
        public bool convex { get; set; }
    }
}
